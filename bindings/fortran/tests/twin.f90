! twin.f90 - the Fortran side of the bindings' bitwise test: the calls of
! twin.c through the module mlp, printing the same lines (every number as
! the hex of its bits). The test requires the two outputs to be identical.
! Usage: twin_f MODEL_FILE_PATH HOUSING_CSV

! mlp_fit's callback: a module procedure, not an internal one (whose
! address would need a trampoline on an executable stack).
module twin_callback
  use, intrinsic :: iso_c_binding
  use mlp
  implicit none
contains
  integer(c_int) function count_epochs(progress, user) bind(c)
    type(mlp_fit_progress), intent(in) :: progress
    type(c_ptr), value :: user
    integer(c_int), pointer :: seen
    call c_f_pointer(user, seen)
    if (progress%epoch_done /= 0) seen = seen + 1
    count_epochs = 0
  end function count_epochs
end module twin_callback

program twin
  use, intrinsic :: iso_c_binding
  use mlp
  use twin_callback
  implicit none
  character(4096) :: path, housing_path
  integer :: failed

  if (command_argument_count() /= 2) then
    write (0, '(a)') 'usage: twin_f MODEL_FILE_PATH HOUSING_CSV'
    stop 2
  end if
  call get_command_argument(1, path)
  call get_command_argument(2, housing_path)
  call constants()
  failed = xor_sgd()
  if (failed == 0) failed = regression_adam()
  if (failed == 0) failed = fit_and_files(trim(path))
  if (failed == 0) failed = statuses()
  if (failed == 0) failed = housing(trim(housing_path))
  if (failed == 0) failed = single()
  if (failed /= 0) error stop 1

contains

  subroutine bits(label, a)
    character(*), intent(in) :: label
    real(c_double), intent(in) :: a(:)
    write (*, '(a, *(1x, z16.16))') label, transfer(a, [0_c_int64_t])
  end subroutine bits

  subroutine fbits(label, a)
    character(*), intent(in) :: label
    real(c_float), intent(in) :: a(:)
    write (*, '(a, *(1x, z8.8))') label, transfer(a, [0_c_int32_t])
  end subroutine fbits

  subroutine bits1(label, a)
    character(*), intent(in) :: label
    real(c_double), intent(in) :: a
    call bits(label, [a])
  end subroutine bits1

  subroutine ints(label, a)
    character(*), intent(in) :: label
    integer(c_int64_t), intent(in) :: a(:)
    write (*, '(a, *(1x, i0))') label, a
  end subroutine ints

  logical function fails(status, what)
    integer(c_int), intent(in) :: status
    character(*), intent(in) :: what
    fails = status /= MLP_OK
    if (fails) write (0, '(a)') 'twin.f90: ' // what // ': ' // mlp_strerror(status)
  end function fails

  subroutine constants()
    integer(c_int) :: s
    type(mlp_fit_progress) :: progress
    type(mlp_fit_options) :: options
    type(mlp_fit_result) :: result
    call ints('status', int([MLP_OK, MLP_ERR_ARG, MLP_ERR_NOMEM, &
        MLP_ERR_NONFINITE, MLP_ERR_IO, MLP_ERR_FORMAT], c_int64_t))
    call ints('acts.losses', int([MLP_SIGMOID, MLP_TANH, MLP_RELU, &
        MLP_IDENTITY, MLP_SOFTMAX, MLP_MSE, MLP_CROSS_ENTROPY], c_int64_t))
    call ints('inits.stops', int([MLP_INIT_DEFAULT, MLP_INIT_GLOROT_UNIFORM, &
        MLP_INIT_GLOROT_NORMAL, MLP_INIT_HE_UNIFORM, MLP_INIT_HE_NORMAL, &
        MLP_INIT_ORTHOGONAL, MLP_FIT_COMPLETED, MLP_FIT_EARLY_STOPPED, &
        MLP_FIT_STOPPED_BY_CALLBACK, MLP_FIT_FAILED], c_int64_t))
    call ints('struct.sizes', int([c_sizeof(progress), c_sizeof(options), &
        c_sizeof(result)], c_int64_t))
    do s = 0, 6
      write (*, '(a, 1x, i0, 1x, a)') 'strerror', s, mlp_strerror(s)
    end do
    write (*, '(a, 1x, a)') 'version', mlp_version()
  end subroutine constants

  integer function xor_sgd() result(failed)
    real(c_double) :: X(2, 4) = reshape([0, 0, 0, 1, 1, 0, 1, 1], [2, 4])
    real(c_double) :: T(1, 4) = reshape([0, 1, 1, 0], [1, 4])
    real(c_double) :: Y(1, 4), cost
    type(mlp_net) :: net, copy
    integer(c_int8_t), allocatable :: bytes(:)
    integer :: i
    failed = 1
    cost = 0
    if (fails(mlp_create(net, [2, 3, 1], loss=MLP_MSE, seed=1), 'create')) return
    if (fails(mlp_set_sgd(net, 2.0_c_double, 0.9_c_double), 'set_sgd')) return
    do i = 1, 300
      if (fails(mlp_train_batch(net, X, T, cost), 'train_batch')) return
    end do
    if (fails(mlp_predict(net, X, Y), 'predict')) return
    call bits1('xor.cost', cost)
    call bits('xor.Y', reshape(Y, [4]))
    call bits('xor.params', mlp_params(net))
    if (fails(mlp_backprop(net, X, T, cost), 'backprop')) return
    call bits1('xor.backprop.cost', cost)
    call bits('xor.grads', mlp_grads(net))
    call bits('xor.W2', reshape(mlp_weights(net, 2), [3]))
    call bits('xor.b1', mlp_biases(net, 1))
    call bits('xor.dW1', reshape(mlp_weight_grads(net, 1), [6]))
    call bits('xor.db2', mlp_bias_grads(net, 2))
    ! A clone trained further, and the model file in memory.
    copy = net
    do i = 1, 10
      if (fails(mlp_train_batch(copy, X, T, cost), 'train_batch')) return
    end do
    call bits('xor.clone.params', mlp_params(copy))
    allocate (bytes(mlp_saved_size(copy)))
    if (fails(mlp_save_buffer(copy, bytes), 'save_buffer')) return
    write (*, '(a, 1x, i0)') 'xor.saved_size', size(bytes)
    write (*, '(a, *(:, 1x, 32z2.2))') 'xor.saved', bytes
    call ints('xor.shape', [int([mlp_n_layers(net), mlp_layer_size(net, 0), &
        mlp_layer_size(net, 1), mlp_layer_size(net, 2)], c_int64_t), &
        int([mlp_layer_activation(net, 1), mlp_loss_kind(net)], c_int64_t), &
        int(mlp_n_params(net), c_int64_t)])
    call mlp_free(net)
    failed = 0
  end function xor_sgd

  subroutine grid(X, T)
    real(c_double), intent(out) :: X(2, 16), T(1, 16)
    integer :: i
    do i = 0, 15
      X(1, i + 1) = mod(i, 4) / 3.0_c_double - 0.5_c_double
      X(2, i + 1) = (i / 4) / 3.0_c_double - 0.5_c_double
      T(1, i + 1) = X(1, i + 1) * X(2, i + 1)
    end do
  end subroutine grid

  integer function regression_adam() result(failed)
    real(c_double) :: X(2, 16), T(1, 16), Y(1, 16), cost
    type(mlp_net) :: net
    integer :: i
    failed = 1
    cost = 0
    call grid(X, T)
    ! -2 has the bits of C's 0xFFFFFFFFFFFFFFFE
    if (fails(mlp_create(net, [2, 8, 4, 1], [MLP_RELU, MLP_TANH, MLP_IDENTITY], &
        MLP_MSE, -2_c_int64_t), 'create')) return
    if (fails(mlp_init(net, MLP_INIT_HE_UNIFORM, 3), 'init')) return
    if (fails(mlp_set_adam(net, 0.01_c_double, 0.9_c_double, 0.999_c_double, &
        1e-8_c_double), 'set_adam')) return
    if (fails(mlp_set_weight_decay(net, 1e-3_c_double), 'set_weight_decay')) return
    do i = 1, 200
      if (fails(mlp_train_batch(net, X, T, cost), 'train_batch')) return
    end do
    if (fails(mlp_backprop(net, X, T), 'backprop')) return
    if (fails(mlp_step(net), 'step')) return
    if (fails(mlp_predict(net, X, Y), 'predict')) return
    call bits1('adam.cost', cost)
    call bits('adam.Y', reshape(Y, [16]))
    call bits('adam.params', mlp_params(net))
    ! net is freed when the function returns (finalisation)
    failed = 0
  end function regression_adam

  integer function fit_and_files(path) result(failed)
    character(*), intent(in) :: path
    real(c_double) :: X(2, 16), T(1, 16), Y(1, 16)
    real(c_double) :: in_mean(2), in_std(2), out_mean(1), out_std(1)
    real(c_double) :: J(2, 1, 16), V(1, 16), G(2, 16), U(1, 16)
    integer :: i
    type(mlp_net) :: net, back
    type(mlp_workspace) :: ws
    type(mlp_fit_options) :: options
    type(mlp_fit_result) :: result
    integer(c_int), target :: epochs_seen
    failed = 1
    call grid(X, T)
    where (T > 0)
      T = 1
    elsewhere
      T = 0
    end where
    epochs_seen = 0
    call mlp_fit_defaults(options)
    options%epochs = 40
    options%batch_size = 3
    options%seed = 5
    options%validation = 0.25_c_double
    options%patience = 4
    options%callback = c_funloc(count_epochs)
    options%user = c_loc(epochs_seen)
    if (fails(mlp_create(net, [2, 5, 1], loss=MLP_CROSS_ENTROPY, seed=11), 'create')) return
    if (fails(mlp_set_sgd(net, 0.5_c_double, 0.5_c_double), 'set_sgd')) return
    if (fails(mlp_fit_scaling(net, X, T), 'fit_scaling')) return
    if (fails(mlp_fit(net, X, T, options, result), 'fit')) return
    call ints('fit.ints', [int([result%epochs_run, result%best_epoch], c_int64_t), &
        int([result%stop, epochs_seen], c_int64_t)])
    call bits('fit.costs', [result%train_cost, result%val_cost, result%best_val_cost])
    call bits('fit.params', mlp_params(net))

    if (fails(mlp_get_scaling(net, in_mean, in_std, out_mean, out_std), 'get_scaling')) return
    call bits('scaling.fitted', in_mean)
    call bits('scaling.fitted.std', in_std)
    if (fails(mlp_set_scaling(net, [0.25_c_double, -0.125_c_double], &
        [2.0_c_double, 0.5_c_double]), 'set_scaling')) return
    if (fails(mlp_get_scaling(net, in_mean, in_std, out_mean, out_std), 'get_scaling')) return
    call bits('scaling.set', in_mean)
    call bits('scaling.set.out', out_mean)
    call bits('scaling.set.outstd', out_std)

    if (fails(mlp_workspace_create(ws, net, 2), 'workspace_create')) return
    if (fails(mlp_predict_ws(net, ws, X, Y), 'predict_ws')) return
    call bits('ws.Y', reshape(Y, [16]))
    V(1, :) = [(0.5_c_double - i / 16.0_c_double, i = 0, 15)]
    if (fails(mlp_jacobian(net, ws, X, J), 'jacobian')) return
    if (fails(mlp_vjp(net, ws, X, V, G), 'vjp')) return
    if (fails(mlp_jvp(net, ws, X, X, U), 'jvp')) return
    call bits('ws.J', reshape(J, [32]))
    call bits('ws.G', reshape(G, [32]))
    call bits('ws.U', reshape(U, [16]))
    call mlp_workspace_free(ws)

    if (fails(mlp_save(net, path), 'save')) return
    if (fails(mlp_load(back, path), 'load')) return
    if (fails(mlp_predict(back, X, Y), 'predict')) return
    call bits('file.Y', reshape(Y, [16]))
    call mlp_free(back)
    call mlp_free(net)
    failed = 0
  end function fit_and_files

  integer function statuses() result(failed)
    real(c_double) :: X(2, 1), T(1, 1) = 1, Y(1, 1)
    type(mlp_net) :: net, none
    failed = 1
    X(1, 1) = 0
    X(2, 1) = ieee_inf()
    if (fails(mlp_create(net, [2, 3, 1], loss=MLP_MSE, seed=1), 'create')) return
    call ints('statuses', [int([mlp_predict(net, X, Y), mlp_train_batch(net, X, T), &
        mlp_create(none, [2, 0, 1], loss=MLP_MSE, seed=1), &
        mlp_set_sgd(net, -1.0_c_double, 0.0_c_double), &
        mlp_load(none, '/nonexistent/model'), mlp_set_blas_threads(1)], c_int64_t), &
        int(mlp_blas_threads(), c_int64_t)])
    failed = 0
  end function statuses

  integer function housing(path) result(failed)
    character(*), intent(in) :: path
    integer, parameter :: n_in = 12, n_rows = 506, n_train = 405
    real(c_double) :: X(n_in, n_rows), T(1, n_rows), Y(1, n_rows - n_train)
    type(mlp_net) :: net
    type(mlp_fit_options) :: options
    type(mlp_fit_result) :: result
    integer :: unit, io, i
    failed = 1
    open (newunit=unit, file=path, status='old', action='read', iostat=io)
    if (io == 0) read (unit, *, iostat=io)
    do i = 1, n_rows
      if (io == 0) read (unit, *, iostat=io) X(:, i), T(1, i)
    end do
    if (io /= 0) then
      write (0, '(a)') 'twin.f90: cannot read ' // path
      return
    end if
    close (unit)
    call mlp_fit_defaults(options)
    options%epochs = 40
    options%batch_size = 32
    options%seed = 3
    options%validation = 0.2_c_double
    if (fails(mlp_create(net, [n_in, 16, 1], [MLP_TANH, MLP_IDENTITY], MLP_MSE, 7), &
        'create')) return
    if (fails(mlp_fit_scaling(net, X(:, :n_train), T(:, :n_train)), 'fit_scaling')) return
    if (fails(mlp_set_adam(net, 0.01_c_double, 0.9_c_double, 0.999_c_double, &
        1e-8_c_double), 'set_adam')) return
    if (fails(mlp_fit(net, X(:, :n_train), T(:, :n_train), options, result), 'fit')) return
    if (fails(mlp_predict(net, X(:, n_train + 1:), Y), 'predict')) return
    call bits('housing.data', reshape(X, [n_in * n_rows]))
    call bits1('housing.val_cost', result%best_val_cost)
    call bits('housing.Y', reshape(Y, [n_rows - n_train]))
    failed = 0
  end function housing

  ! The single-precision family, through the generic names (an mlpf_net
  ! with real(c_float) arrays picks the mlpf_ function) and the mlpf_ ones.
  integer function single() result(failed)
    real(c_float) :: X(2, 4) = reshape([0, 0, 0, 1, 1, 0, 1, 1], [2, 4])
    real(c_float) :: T(1, 4) = reshape([0, 1, 1, 0], [1, 4])
    real(c_float) :: Y(1, 4), J(2, 1, 4), mean(2), std(2), cost
    type(mlpf_net) :: net, copy
    type(mlpf_workspace) :: ws
    type(mlp_fit_options) :: options
    type(mlp_fit_result) :: result
    integer(c_int8_t), allocatable :: bytes(:)
    integer :: i
    failed = 1
    cost = 0
    call mlp_fit_defaults(options)
    options%epochs = 20
    options%batch_size = 2
    options%seed = 9
    if (fails(mlpf_create(net, [2, 3, 1], loss=MLP_MSE, seed=1), 'mlpf_create')) return
    if (fails(mlp_set_sgd(net, 2.0_c_double, 0.9_c_double), 'mlpf_set_sgd')) return
    do i = 1, 300
      if (fails(mlp_train_batch(net, X, T, cost), 'mlpf_train_batch')) return
    end do
    if (fails(mlpf_predict(net, X, Y), 'mlpf_predict')) return
    if (fails(mlp_backprop(net, X, T, cost), 'mlpf_backprop')) return
    call fbits('f.cost', [cost])
    call fbits('f.Y', reshape(Y, [4]))
    call fbits('f.params', mlpf_params(net))
    call fbits('f.grads', mlp_grads(net))
    call fbits('f.W1', reshape(mlp_weights(net, 1), [6]))
    if (fails(mlpf_clone(copy, net), 'mlpf_clone')) return
    if (fails(mlp_fit_scaling(copy, X, T), 'mlpf_fit_scaling')) return
    if (fails(mlpf_fit(copy, X, T, options, result), 'mlpf_fit')) return
    if (fails(mlp_get_scaling(copy, mean, std), 'mlpf_get_scaling')) return
    if (fails(mlpf_workspace_create(ws, copy, 4), 'mlpf_workspace_create')) return
    if (fails(mlp_jacobian(copy, ws, X, J), 'mlpf_jacobian')) return
    call fbits('f.fit.params', mlp_params(copy))
    call fbits('f.scaling', std)
    call fbits('f.J', reshape(J, [8]))
    allocate (bytes(mlpf_saved_size(copy)))
    if (fails(mlp_save_buffer(copy, bytes), 'mlpf_save_buffer')) return
    write (*, '(a, *(:, 1x, 32z2.2))') 'f.saved', bytes
    failed = 0
  end function single

  real(c_double) function ieee_inf()
    use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_positive_inf
    ieee_inf = ieee_value(0.0_c_double, ieee_positive_inf)
  end function ieee_inf

end program twin
